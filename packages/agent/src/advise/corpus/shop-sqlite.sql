-- A shop schema with known problems, for the schema advisor's corpus (labels in labels.ts).
CREATE TABLE customer (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,              -- nullable, never NULL in the data the test inserts
  note TEXT               -- nullable, NULL in some rows
);
CREATE TABLE product (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL);
CREATE UNIQUE INDEX product_sku_key ON product (sku);
CREATE INDEX product_sku_idx ON product (sku);                      -- duplicate of product_sku_key
CREATE TABLE "order" (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer (id),           -- no index starts with it
  placed_at TEXT NOT NULL,
  status TEXT                                                       -- nullable, never NULL
);
CREATE INDEX order_placed_idx ON "order" (placed_at);
CREATE INDEX order_placed_desc_idx ON "order" (placed_at DESC);     -- other order: not a duplicate
CREATE INDEX order_open_idx ON "order" (placed_at) WHERE status = 'open'; -- partial: not a duplicate
CREATE TABLE order_line (
  order_id INTEGER NOT NULL REFERENCES "order" (id),                -- covered by the primary key
  line_no INTEGER NOT NULL,
  product_id INTEGER NOT NULL REFERENCES product (id),              -- no index starts with it
  qty INTEGER NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_line_order_idx ON order_line (order_id);         -- redundant: begins the primary key
CREATE TABLE audit_event (at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL); -- no key at all
CREATE TABLE setting (key TEXT NOT NULL UNIQUE, value TEXT);       -- no primary key; key could be it
CREATE TABLE tag (
  id INTEGER PRIMARY KEY,
  product_id INTEGER REFERENCES product (id),                       -- covered by the unique constraint
  label TEXT NOT NULL,
  UNIQUE (product_id, label)
);
CREATE TABLE wishlist (
  customer_id INTEGER NOT NULL REFERENCES customer (id),            -- covered by the primary key
  product_id INTEGER NOT NULL REFERENCES product (id),              -- second in the key: not covered
  PRIMARY KEY (customer_id, product_id)
);
CREATE INDEX wishlist_customer_product_idx ON wishlist (customer_id, product_id); -- duplicate of the primary key
