CREATE TABLE d (x BIGINT, PRIMARY KEY (x) NOT ENFORCED) WITH ('connector' = 'blackhole')
