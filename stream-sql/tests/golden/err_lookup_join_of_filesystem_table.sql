CREATE TABLE clicks (
    user_id BIGINT,
    url STRING,
    p AS PROCTIME()
) WITH ('connector' = 'filesystem', 'path' = '{dir}/bids.csv', 'format' = 'csv');
EXPLAIN SELECT c.url, u.name
FROM clicks AS c JOIN people FOR SYSTEM_TIME AS OF c.p AS u ON c.user_id = u.id
