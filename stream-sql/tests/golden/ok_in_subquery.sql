EXPLAIN SELECT b.auction, b.price FROM bids b
WHERE b.price > 10 AND b.bidder IN (SELECT id FROM people WHERE city = 'Rome')
