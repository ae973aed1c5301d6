from django.urls import path

from ponton.knowledge import editor, views

app_name = "knowledge"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("a/<slug:slug>/", views.article, name="article"),
    path("a/<slug:slug>/feedback", views.article_feedback, name="feedback"),
    path("manage/articles/", editor.article_list, name="manage"),
    path("manage/articles/new", editor.article_edit, name="new"),
    path("manage/articles/<int:pk>/<str:lang>/", editor.article_edit, name="edit"),
    path("manage/articles/<int:pk>/<str:lang>/history", editor.history, name="history"),
    path("manage/versions/<int:pk>/restore", editor.restore, name="restore"),
    path("manage/preview", editor.preview, name="preview"),
]
