CREATE TABLE d (x BIGINT, y AS x + 1) WITH ('connector' = 'blackhole')
