CREATE VIEW per_auction AS
  SELECT auction, window_time AS wt, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND))
  GROUP BY auction, window_start, window_end, window_time;
EXPLAIN SELECT window_start, window_end, SUM(n) FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE per_auction, DESCRIPTOR(wt), INTERVAL '10' SECOND)))
GROUP BY window_start, window_end
