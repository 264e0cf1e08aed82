EXPLAIN SELECT window_start, COUNT(*) FROM (
  SELECT auction, window_start, window_end, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end)
GROUP BY window_start
