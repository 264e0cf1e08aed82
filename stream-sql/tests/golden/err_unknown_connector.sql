CREATE TABLE d (x BIGINT) WITH ('connector' = 'hbase-2.2', 'table-name' = 'app')
