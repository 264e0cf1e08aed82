EXPLAIN SELECT auction, price FROM bids WHERE price > 100 UNION ALL SELECT id, id * 2 FROM gen
