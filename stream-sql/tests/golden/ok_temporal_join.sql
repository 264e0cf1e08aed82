EXPLAIN SELECT b.auction, b.price, g.score, b.ts
FROM bids AS b LEFT JOIN gen FOR SYSTEM_TIME AS OF b.ts AS g ON b.auction = g.id AND g.score > 0.5
