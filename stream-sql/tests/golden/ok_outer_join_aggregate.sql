EXPLAIN SELECT p.name, COUNT(b.price) AS bids FROM people p LEFT JOIN bids b ON b.bidder = p.id GROUP BY p.name
