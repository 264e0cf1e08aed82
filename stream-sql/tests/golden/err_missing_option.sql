CREATE TABLE d (x BIGINT) WITH ('connector' = 'filesystem', 'format' = 'csv')
