CREATE VIEW b AS SELECT auction, price, PROCTIME() AS p FROM bids;
EXPLAIN SELECT auction, SUM(price) OVER (PARTITION BY auction ORDER BY p) FROM b
