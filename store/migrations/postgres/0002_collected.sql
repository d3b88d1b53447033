-- A completed order is collected when the customer picks it up; the
-- display then takes it off the Ready list.
ALTER TABLE orders ADD COLUMN collected_at BIGINT;
