CREATE TABLE d (x BIGINT, WATERMARK FOR x AS x - INTERVAL '1' SECOND) WITH ('connector' = 'blackhole')
