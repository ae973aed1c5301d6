from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

from ponton.api import articles as kb_api
from ponton.api import callbacks as callbacks_api
from ponton.api import customers as customers_api
from ponton.conversations.api import (
    AssignView,
    ConversationDetailView,
    ConversationListView,
    ConversationMessagesView,
    StatusView,
)
from ponton.insights.api import KpisView
from ponton.knowledge.api import ArticleSearchView, ArticleSuggestView
from ponton.status import api as status_api

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("articles", ArticleSearchView.as_view(), name="articles"),
    path("articles/suggest", ArticleSuggestView.as_view(), name="articles-suggest"),
    path("", include("ponton.connectors.webchat.urls")),
    path("", include("ponton.webhooks.urls")),
    path("voice/", include("ponton.connectors.voice.urls")),
    path("channels/whatsapp/", include("ponton.connectors.whatsapp.urls")),
    path("channels/sms/", include("ponton.connectors.sms.urls")),
    path("conversations", ConversationListView.as_view(), name="conversations"),
    path(
        "conversations/<int:conversation_id>", ConversationDetailView.as_view(), name="conversation"
    ),
    path(
        "conversations/<int:conversation_id>/messages",
        ConversationMessagesView.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<int:conversation_id>/assign",
        AssignView.as_view(),
        name="conversation-assign",
    ),
    path(
        "conversations/<int:conversation_id>/status",
        StatusView.as_view(),
        name="conversation-status",
    ),
    path("insights/kpis", KpisView.as_view(), name="insights-kpis"),
    # For integrators: a CRM provisions customers, a tool writes articles, books callbacks.
    path("customers", customers_api.CustomersView.as_view(), name="customers"),
    path("customers/<int:customer_id>", customers_api.CustomerView.as_view(), name="customer"),
    path("kb/articles", kb_api.ArticlesView.as_view(), name="kb-articles"),
    path("kb/articles/<int:article_id>", kb_api.ArticleView.as_view(), name="kb-article"),
    path("kb/articles/<int:article_id>/publish", kb_api.PublishView.as_view(), name="kb-publish"),
    path("callbacks", callbacks_api.CallbacksView.as_view(), name="callbacks"),
    path("callbacks/slots", callbacks_api.SlotsView.as_view(), name="callback-slots"),
    path("status", status_api.StatusView.as_view(), name="status"),
    path("status/notice", status_api.NoticeView.as_view(), name="status-notice"),
    path("incidents", status_api.IncidentsView.as_view(), name="incidents"),
    path(
        "incidents/<int:incident_id>/updates",
        status_api.IncidentUpdatesView.as_view(),
        name="incident-updates",
    ),
]
