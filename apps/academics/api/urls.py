from rest_framework.routers import DefaultRouter

from apps.academics.api import views

app_name = "academics-api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("students", views.StudentViewSet, basename="student")
router.register("courses", views.CourseViewSet, basename="course")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
router.register("grades", views.GradeViewSet, basename="grade")
router.register("attendance", views.AttendanceViewSet, basename="attendance")
router.register("daily-performance", views.DailyPerformanceViewSet, basename="daily-performance")

urlpatterns = router.urls
