from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class EchoInput(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1)


class EchoView(APIView):
    """Open endpoint that validates a JSON body: the target for parser and validation errors."""

    permission_classes = [AllowAny]

    def post(self, request):  # type: ignore[no-untyped-def]
        data = EchoInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data)


class PrivateView(APIView):
    """Default permissions: authentication required."""

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({"ok": True})


class AuthLimitedView(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    def post(self, request):  # type: ignore[no-untyped-def]
        return Response({"ok": True})


class CrashView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")
