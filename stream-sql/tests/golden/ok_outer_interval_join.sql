EXPLAIN SELECT * FROM bids b LEFT JOIN gen g
ON b.auction = g.id AND g.at BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts
