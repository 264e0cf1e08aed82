INSERT INTO nothing SELECT channel, auction FROM bids
