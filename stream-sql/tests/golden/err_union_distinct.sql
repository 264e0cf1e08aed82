SELECT auction FROM bids UNION SELECT id FROM gen
