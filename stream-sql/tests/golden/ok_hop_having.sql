EXPLAIN SELECT window_start, window_end, window_time, auction, MAX(price) AS top, AVG(price)
FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
WHERE bidder <> 0
GROUP BY window_start, window_end, window_time, auction
HAVING COUNT(*) > 1
