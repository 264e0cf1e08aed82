EXPLAIN SELECT p.name FROM people p
WHERE NOT EXISTS (SELECT * FROM bids b WHERE b.bidder = p.id AND b.price > 100)
