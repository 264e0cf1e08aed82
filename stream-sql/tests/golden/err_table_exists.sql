CREATE TABLE bids (x BIGINT) WITH ('connector' = 'blackhole')
