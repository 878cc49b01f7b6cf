-- The unique name indexes (catalog_names_unique) begin with the same columns, and serve the same
-- lookups: these two only cost writes and space.
DROP INDEX "environments_org_project";--> statement-breakpoint
DROP INDEX "targets_org_environment";