CREATE VIEW b AS SELECT auction, PROCTIME() AS p FROM bids WHERE price > 10
  UNION ALL SELECT auction, PROCTIME() AS p FROM bids WHERE price < 5;
EXPLAIN SELECT auction, window_start, COUNT(*) FROM TABLE(HOP(TABLE b, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end
