-- Run before every case ({dir} is a directory holding bids.csv and people.json).
CREATE TABLE bids (
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    channel STRING,
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'filesystem', 'path' = '{dir}/bids.csv', 'format' = 'csv');

CREATE TABLE people (id BIGINT, name STRING, city STRING)
WITH ('connector' = 'filesystem', 'path' = '{dir}/people.json', 'format' = 'json');

CREATE TABLE gen (
    id BIGINT,
    score DOUBLE,
    tag STRING,
    at TIMESTAMP(3),
    WATERMARK FOR at AS at
) WITH (
    'connector' = 'datagen',
    'number-of-rows' = '100',
    'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000',
    'fields.score.min' = '0', 'fields.score.max' = '1',
    'fields.tag.length' = '4'
);

CREATE TABLE printed (auction BIGINT, n BIGINT, total BIGINT)
WITH ('connector' = 'print', 'print-identifier' = 'out');

CREATE TABLE nothing (a BIGINT, b STRING) WITH ('connector' = 'blackhole');

CREATE TABLE totals (auction BIGINT, window_start TIMESTAMP(3), total DOUBLE)
WITH ('connector' = 'filesystem', 'path' = '{dir}/totals', 'format' = 'json');
