EXPLAIN SELECT window_start, window_end, COUNT(DISTINCT bidder) AS bidders, SUM(DISTINCT price), COUNT(*)
FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' MINUTE, INTERVAL '10' MINUTE))
GROUP BY window_start, window_end
