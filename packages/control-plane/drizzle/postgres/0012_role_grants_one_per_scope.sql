-- One grant of a role at one scope. Granting a role twice used to store it twice; the copies
-- give no more access than one, so all but the earliest are removed before the index holds.
DELETE FROM "role_grants" WHERE EXISTS (
	SELECT 1 FROM "role_grants" AS "earlier"
	WHERE "earlier"."org_id" = "role_grants"."org_id"
		AND "earlier"."user_id" = "role_grants"."user_id"
		AND "earlier"."role" = "role_grants"."role"
		AND "earlier"."scope_kind" = "role_grants"."scope_kind"
		AND coalesce("earlier"."project_id", '') = coalesce("role_grants"."project_id", '')
		AND coalesce("earlier"."environment_id", '') = coalesce("role_grants"."environment_id", '')
		AND ("earlier"."created_at" < "role_grants"."created_at"
			OR ("earlier"."created_at" = "role_grants"."created_at" AND "earlier"."id" < "role_grants"."id"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "role_grants_one_per_scope" ON "role_grants" USING btree ("org_id","user_id","role","scope_kind",coalesce("project_id", ''),coalesce("environment_id", ''));
