from django.urls import path

from preau.federation import views, views_educonnect, views_sms_proof

app_name = "federation"

urlpatterns = [
    path("franceconnect/connexion", views.franceconnect_start, name="franceconnect_start"),
    path("franceconnect/retour", views.franceconnect_callback, name="franceconnect_callback"),
    path("franceconnect/lier", views.franceconnect_link, name="franceconnect_link"),
    path(
        "franceconnect/deconnexion",
        views.franceconnect_logout_return,
        name="franceconnect_logout_return",
    ),
    # EduConnect (SAML 2.0): Préau's SP metadata, the start, the ACS, the proof, single logout.
    path("saml/metadata/", views_educonnect.metadata, name="educonnect_metadata"),
    path("saml/acs/", views_educonnect.educonnect_acs, name="educonnect_acs"),
    path("saml/slo/", views_educonnect.educonnect_slo, name="educonnect_slo"),
    path("educonnect/connexion", views_educonnect.educonnect_start, name="educonnect_start"),
    path("educonnect/lier", views_educonnect.educonnect_link, name="educonnect_link"),
    path("educonnect/choix", views_educonnect.educonnect_choose, name="educonnect_choose"),
    # A parent's proof by SMS code and children's birth dates (either provider).
    path("<str:provider>/lier/sms", views_sms_proof.sms_proof_start, name="sms_proof"),
    path("<str:provider>/lier/sms/code", views_sms_proof.sms_proof_code, name="sms_proof_code"),
    path(
        "<str:provider>/lier/sms/enfants",
        views_sms_proof.sms_proof_children,
        name="sms_proof_children",
    ),
    path("mon-compte/identites", views.identities, name="identities"),
    path("mon-compte/identites/<int:pk>/retirer", views.identity_unlink, name="identity_unlink"),
]
