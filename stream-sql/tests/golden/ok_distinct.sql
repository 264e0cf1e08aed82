EXPLAIN SELECT DISTINCT auction, price > 10 AS high FROM bids
