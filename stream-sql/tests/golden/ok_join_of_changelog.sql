EXPLAIN SELECT x.bidder, q.name FROM (SELECT b.bidder FROM bids b LEFT JOIN people p ON b.bidder = p.id) AS x
JOIN people q ON x.bidder = q.id
