EXPLAIN SELECT b.auction, g.tag FROM bids AS b JOIN gen AS g
ON b.auction = g.id AND g.at BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts AND g.score > 0.5
