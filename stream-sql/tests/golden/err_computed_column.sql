CREATE TABLE d (x BIGINT, y BIGINT DEFAULT 1) WITH ('connector' = 'blackhole')
