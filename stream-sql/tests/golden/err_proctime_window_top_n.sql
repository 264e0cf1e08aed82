CREATE VIEW b AS SELECT *, PROCTIME() AS p FROM bids;
EXPLAIN SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC) AS rn FROM (
    SELECT auction, window_start, window_end, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(p), INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end))
WHERE rn <= 3
