SELECT auction FROM bids UNION ALL SELECT auction FROM bids
