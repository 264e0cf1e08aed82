EXPLAIN SELECT auction, window_start, window_end, COUNT(*) AS bids, SUM(price) AS total
FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTE))
GROUP BY auction, window_start, window_end
