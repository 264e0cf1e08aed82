CREATE TABLE d (x BIGINT) WITH ('connector' = 'kafka', 'topic' = 't')
