INSERT INTO printed SELECT auction, price FROM bids
