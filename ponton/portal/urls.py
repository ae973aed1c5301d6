from django.urls import path

from ponton.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in-link/", views.magic_link, name="magic_link"),
    path("sign-in-link/sent/", views.magic_link_sent, name="magic_link_sent"),
    path("sign-in-link/<uidb64>/<token>/", views.magic_login, name="magic_login"),
    path("requests/<int:conversation_id>/", views.request_detail, name="request"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("preferences/", views.preferences, name="preferences"),
    path("callback/", views.callback, name="callback"),
    path("callback/<int:callback_id>/", views.callback_detail, name="callback_detail"),
    path("callback/<int:callback_id>/cancel/", views.callback_cancel, name="callback_cancel"),
    path("surveys/<int:survey_id>/", views.survey, name="survey"),
    path("export/", views.export, name="export"),
]
