SELECT * FROM bids b JOIN gen g ON b.auction = g.id AND g.at <= b.ts
