from django.contrib import admin

from ponton.tasks.models import Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "attempts", "run_after", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [f.name for f in Task._meta.fields]
