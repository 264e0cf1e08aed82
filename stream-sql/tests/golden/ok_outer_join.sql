EXPLAIN SELECT b.price, p.name FROM bids b FULL JOIN people p
ON b.bidder = p.id AND p.city <> 'Rome' WHERE b.price > 10
