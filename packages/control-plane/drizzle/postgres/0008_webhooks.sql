CREATE TABLE "event_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_dead_letters" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"webhook_id" text NOT NULL,
	"event_seq" bigint NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"dead_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"webhook_id" text NOT NULL,
	"event_seq" bigint NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"next_attempt_at" timestamp (3) with time zone NOT NULL,
	"claimed_until" timestamp (3) with time zone,
	"last_error" text,
	"delivered_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"events" text NOT NULL,
	"description" text,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "webhooks_org_id_id" UNIQUE("org_id","id")
);
--> statement-breakpoint
ALTER TABLE "webhook_dead_letters" ADD CONSTRAINT "webhook_dead_letters_org_id_webhook_id_webhooks_org_id_id_fk" FOREIGN KEY ("org_id","webhook_id") REFERENCES "public"."webhooks"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_org_id_webhook_id_webhooks_org_id_id_fk" FOREIGN KEY ("org_id","webhook_id") REFERENCES "public"."webhooks"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_dead_letters_org_webhook" ON "webhook_dead_letters" USING btree ("org_id","webhook_id","event_seq");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_org_webhook" ON "webhook_deliveries" USING btree ("org_id","webhook_id","event_seq");--> statement-breakpoint
CREATE TRIGGER "webhooks_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "webhooks"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "webhook_deliveries_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "webhook_deliveries"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "webhook_dead_letters_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "webhook_dead_letters"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
--> statement-breakpoint
CREATE TRIGGER "event_cursors_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "event_cursors"
	FOR EACH STATEMENT EXECUTE FUNCTION "isotyp_store_changed"();
