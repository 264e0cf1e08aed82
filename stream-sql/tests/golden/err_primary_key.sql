CREATE TABLE d (x BIGINT, PRIMARY KEY (x)) WITH ('connector' = 'blackhole')
