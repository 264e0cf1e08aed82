EXPLAIN SELECT A.auction, A.n FROM (
  SELECT auction, COUNT(*) AS n, window_start AS s, window_end AS e
  FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end) A
JOIN (
  SELECT MAX(n) AS most, s, e FROM (
    SELECT auction, COUNT(*) AS n, window_start AS s, window_end AS e
    FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end)
  GROUP BY s, e) M
ON A.s = M.s AND A.e = M.e AND A.n >= M.most
