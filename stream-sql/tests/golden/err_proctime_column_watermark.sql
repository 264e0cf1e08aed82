CREATE TABLE clicks (
    user_id BIGINT,
    p_time AS PROCTIME(),
    WATERMARK FOR p_time AS p_time - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '{dir}/bids.csv', 'format' = 'csv')
