EXPLAIN SELECT b.a FROM (SELECT auction AS a, price FROM bids) AS b WHERE b.price > 3
