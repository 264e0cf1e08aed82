CREATE TABLE d (x DECIMAL(10, 2)) WITH ('connector' = 'blackhole')
