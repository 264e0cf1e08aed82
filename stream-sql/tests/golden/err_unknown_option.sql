CREATE TABLE d (x BIGINT) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv', 'csv.field-delimter' = ';')
