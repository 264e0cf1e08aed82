SELECT b.auction, g.score FROM bids AS b JOIN gen FOR SYSTEM_TIME AS OF b.ts - INTERVAL '1' SECOND AS g ON b.auction = g.id
