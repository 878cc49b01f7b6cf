-- A name finds one project in an organisation, one environment in a project and one target in
-- an environment. An earlier version let a name be taken twice; the earliest keeps it and each
-- later one is renamed "<name> (<id>)" before the indexes hold. Ids, and so everything that
-- refers to them, are unchanged.
UPDATE "projects" SET "name" = "name" || ' (' || "id" || ')' WHERE EXISTS (
	SELECT 1 FROM "projects" AS "earlier"
	WHERE "earlier"."org_id" = "projects"."org_id"
		AND "earlier"."name" = "projects"."name"
		AND ("earlier"."created_at" < "projects"."created_at"
			OR ("earlier"."created_at" = "projects"."created_at" AND "earlier"."id" < "projects"."id"))
);
--> statement-breakpoint
UPDATE "environments" SET "name" = "name" || ' (' || "id" || ')' WHERE EXISTS (
	SELECT 1 FROM "environments" AS "earlier"
	WHERE "earlier"."org_id" = "environments"."org_id"
		AND "earlier"."project_id" = "environments"."project_id"
		AND "earlier"."name" = "environments"."name"
		AND ("earlier"."created_at" < "environments"."created_at"
			OR ("earlier"."created_at" = "environments"."created_at" AND "earlier"."id" < "environments"."id"))
);
--> statement-breakpoint
UPDATE "targets" SET "name" = "name" || ' (' || "id" || ')' WHERE EXISTS (
	SELECT 1 FROM "targets" AS "earlier"
	WHERE "earlier"."org_id" = "targets"."org_id"
		AND "earlier"."environment_id" = "targets"."environment_id"
		AND "earlier"."name" = "targets"."name"
		AND ("earlier"."created_at" < "targets"."created_at"
			OR ("earlier"."created_at" = "targets"."created_at" AND "earlier"."id" < "targets"."id"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "environments_org_project_name" ON "environments" USING btree ("org_id","project_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_org_name" ON "projects" USING btree ("org_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "targets_org_environment_name" ON "targets" USING btree ("org_id","environment_id","name");