CREATE TABLE d (x BIGINT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:postgresql://db/app')
