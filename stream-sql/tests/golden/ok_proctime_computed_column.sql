CREATE TABLE clicks (
    user_id BIGINT,
    url STRING,
    p_time AS PROCTIME()
) WITH ('connector' = 'filesystem', 'path' = '{dir}/bids.csv', 'format' = 'csv');
EXPLAIN SELECT user_id, window_start, window_end, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(p_time), INTERVAL '1' MINUTE))
GROUP BY user_id, window_start, window_end
