-- Walk-up orders are taken at the bar for someone without a phone: no QR
-- code, no customer account, never counted against a limit.
ALTER TABLE orders ADD COLUMN walkup INTEGER NOT NULL DEFAULT 0;

-- When a barista last called the customer of a ready order ("Call again"),
-- for the one-minute cool-down.
ALTER TABLE orders ADD COLUMN called_at INTEGER;

-- The public screens never show anything derived from an e-mail address.
-- Customers who signed in by code before they could give a first name were
-- named after the address's local part: they (and their orders) now have
-- no name until they give one.
UPDATE orders SET user_name = '' WHERE EXISTS (
    SELECT 1 FROM customers c
    WHERE c.id = orders.user_id AND c.email IS NOT NULL
        AND c.name = substr(c.email, 1, instr(c.email, '@') - 1) AND orders.user_name = c.name);
UPDATE customers SET name = '' WHERE email IS NOT NULL AND name = substr(email, 1, instr(email, '@') - 1);
